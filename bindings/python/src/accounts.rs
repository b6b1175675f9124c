//! Host accounts and owner authorization from Python: the one callback
//! adapter. A callback runs with the GIL held only while Python runs (ropc
//! calls it from a thread that released the GIL); an exception, or an
//! answer of the wrong type, is logged through `logging` (logger
//! `ropc.accounts`) and becomes the core's server error.

use pyo3::prelude::*;
use pyo3::types::PyBool;
use ropc_core as core;

/// A resource owner, as a host's `verify` or `lookup` describes it.
#[pyclass(frozen, module = "ropc._ropc", eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct Owner {
    #[pyo3(get)]
    groups: Vec<String>,
    #[pyo3(get)]
    enabled: bool,
    #[pyo3(get)]
    credential_version: Option<u64>,
    #[pyo3(get)]
    name: Option<String>,
}

#[pymethods]
impl Owner {
    #[new]
    #[pyo3(signature = (groups=None, enabled=true, credential_version=None, name=None))]
    fn new(
        groups: Option<Vec<String>>,
        enabled: bool,
        credential_version: Option<u64>,
        name: Option<String>,
    ) -> Self {
        Owner {
            groups: groups.unwrap_or_default(),
            enabled,
            credential_version,
            name,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let groups = self.groups.clone().into_pyobject(py)?.repr()?.to_string();
        let enabled = if self.enabled { "True" } else { "False" };
        let mut repr = format!("Owner(groups={groups}, enabled={enabled}");
        if let Some(v) = self.credential_version {
            repr.push_str(&format!(", credential_version={v}"));
        }
        if let Some(name) = &self.name {
            let name = name.clone().into_pyobject(py)?.repr()?.to_string();
            repr.push_str(&format!(", name={name}"));
        }
        repr.push(')');
        Ok(repr)
    }
}

impl From<Owner> for core::Owner {
    fn from(o: Owner) -> Self {
        core::Owner {
            groups: o.groups,
            enabled: o.enabled,
            credential: o.credential_version,
            name: o.name,
        }
    }
}

/// Logs the failure through `logging` and makes it a host error.
fn failed(py: Python<'_>, what: &str, err: PyErr) -> core::HostError {
    let message = format!("the {what} callback raised {}", describe(py, &err));
    let log = || -> PyResult<()> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("ropc.accounts",))?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("exc_info", err.value(py))?;
        logger.call_method("error", ("%s", &message), Some(&kwargs))?;
        Ok(())
    };
    // Logging itself failing must not hide the failure: the core logs it too.
    let _ = log();
    core::HostError::new(message)
}

fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an exception".into());
    name
}

fn wrong_type(
    py: Python<'_>,
    what: &str,
    expected: &str,
    got: &Bound<'_, PyAny>,
) -> core::HostError {
    let got = got
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    let err = pyo3::exceptions::PyTypeError::new_err(format!(
        "the {what} callback must return {expected}, not {got}"
    ));
    failed(py, what, err)
}

/// A Python object with `verify(username, password)` and `lookup(username)`.
pub(crate) struct PyAccounts {
    target: Py<PyAny>,
}

impl PyAccounts {
    pub(crate) fn new(target: &Bound<'_, PyAny>) -> PyResult<PyAccounts> {
        let missing: Vec<&str> = ["verify", "lookup"]
            .into_iter()
            .filter(|m| !target.getattr(*m).is_ok_and(|m| m.is_callable()))
            .collect();
        if !missing.is_empty() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "host_accounts must have verify(username, password) and lookup(username) methods; missing: {}",
                missing.join(", ")
            )));
        }
        Ok(PyAccounts {
            target: target.clone().unbind(),
        })
    }
}

fn owner_of(value: &Bound<'_, PyAny>) -> Option<core::Owner> {
    value.cast::<Owner>().ok().map(|o| o.get().clone().into())
}

impl core::Accounts for PyAccounts {
    fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> Result<core::Verification, core::HostError> {
        Python::attach(|py| {
            let answer = self
                .target
                .call_method1(py, "verify", (username, password))
                .map_err(|e| failed(py, "verify", e))?;
            let answer = answer.bind(py);
            if answer.is_none() {
                return Ok(core::Verification::UnknownUser);
            }
            if answer.is_instance_of::<PyBool>() && !answer.is_truthy().unwrap_or(true) {
                return Ok(core::Verification::WrongPassword);
            }
            owner_of(answer)
                .map(core::Verification::Verified)
                .ok_or_else(|| {
                    wrong_type(
                        py,
                        "verify",
                        "an ropc.Owner (right password), False (wrong password) or None (unknown user)",
                        answer,
                    )
                })
        })
    }

    fn lookup(&self, username: &str) -> Result<Option<core::Owner>, core::HostError> {
        Python::attach(|py| {
            let answer = self
                .target
                .call_method1(py, "lookup", (username,))
                .map_err(|e| failed(py, "lookup", e))?;
            let answer = answer.bind(py);
            if answer.is_none() {
                return Ok(None);
            }
            owner_of(answer)
                .map(Some)
                .ok_or_else(|| wrong_type(py, "lookup", "an ropc.Owner or None", answer))
        })
    }
}

/// A callable `authorize(principal, resource, scope) -> bool`, or an object
/// with such an `authorize` method.
pub(crate) struct PyAuthorizer {
    target: Py<PyAny>,
}

impl PyAuthorizer {
    pub(crate) fn new(target: &Bound<'_, PyAny>) -> PyResult<PyAuthorizer> {
        let target = match target.getattr("authorize") {
            Ok(m) if m.is_callable() => m,
            _ if target.is_callable() => target.clone(),
            _ => {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "authorize must be a callable or have an authorize() method",
                ))
            }
        };
        Ok(PyAuthorizer {
            target: target.unbind(),
        })
    }
}

impl core::OwnerAuthorizer for PyAuthorizer {
    fn authorize(
        &self,
        principal: &core::Principal,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<bool, core::HostError> {
        Python::attach(|py| {
            let principal = crate::Principal::from(principal.clone());
            let answer = self
                .target
                .call1(py, (principal, resource, required_scope))
                .map_err(|e| failed(py, "authorize", e))?;
            let answer = answer.bind(py);
            if answer.is_instance_of::<PyBool>() {
                return Ok(answer.is_truthy().unwrap_or(false));
            }
            Err(wrong_type(py, "authorize", "True or False", answer))
        })
    }
}

/// Runs the core's accounts conformance suite on `host_accounts` through
/// this adapter (for tests: the same suite every binding's adapter passes).
/// Raises AssertionError saying what failed.
#[pyfunction]
#[pyo3(signature = (host_accounts, username, password, groups, disabled, unknown))]
pub(crate) fn _check_accounts(
    py: Python<'_>,
    host_accounts: &Bound<'_, PyAny>,
    username: String,
    password: String,
    groups: Vec<String>,
    disabled: (String, String),
    unknown: String,
) -> PyResult<()> {
    let accounts = PyAccounts::new(host_accounts)?;
    let fixture = core::conformance::accounts::Fixture {
        username,
        password,
        groups,
        disabled,
        unknown,
    };
    py.detach(|| core::conformance::accounts::run(&accounts, &fixture))
        .map_err(pyo3::exceptions::PyAssertionError::new_err)
}
