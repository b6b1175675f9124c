//! DPoP proofs (RFC 9449): the checker answers or refuses, never panics,
//! and no input passes without a signature the fuzzer cannot make... except
//! one it signs itself with the key in its own header, which is what a
//! proof is: so what passes must name its own key's thumbprint. First byte:
//! 0 the token endpoint's context, else a resource server's (with `ath`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc_core::dpop::{self, ProofContext};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(proof) = std::str::from_utf8(rest) else { return };
    let cx = if mode == 0 {
        ProofContext { method: "POST", uri: "https://as.example/token", access_token: None, nonce: None, now: 1_700_000_000 }
    } else {
        ProofContext {
            method: "GET",
            uri: "https://api.example/docs/1",
            access_token: Some("token"),
            nonce: Some("n"),
            now: 1_700_000_000,
        }
    };
    if let Ok(p) = dpop::check(proof, &cx) {
        assert_eq!(p.jkt.len(), 43, "a thumbprint");
        assert!(!p.jti.is_empty() && p.jti.len() <= dpop::MAX_JTI_BYTES);
    }
});
