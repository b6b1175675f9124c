//! The conformance suites: what every implementation of a pluggable part
//! must do, as checks any implementation can run (cargo feature
//! `conformance`). [`store`] for the stores, [`accounts`] for the owners'
//! accounts (and every binding's callback adapter).

pub mod accounts;
pub mod store;
