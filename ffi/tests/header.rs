//! include/ropc.h must be exactly what the pinned cbindgen makes from
//! ffi/src. `ROPC_UPDATE_HEADER=1 cargo test -p ropc-ffi --test header`
//! (or `make header`) rewrites it.

#[test]
fn committed_header_matches_the_code() {
    let crate_dir = env!("CARGO_MANIFEST_DIR");
    let config =
        cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = format!("{crate_dir}/../include/ropc.h");
    if std::env::var_os("ROPC_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/ropc.h");
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/ropc.h differs from what cbindgen makes from ffi/src: run `make header` and commit it"
    );
}
