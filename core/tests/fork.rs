//! A forked child must never mint what its parent mints: the random buffers
//! (core/src/random.rs) are copied into the child, and must not be served
//! there. Its own test binary, so the fork happens with few threads about.
#![cfg(unix)]

use ropc_core::generate_client_secret;

#[test]
fn a_forked_child_and_its_parent_never_draw_the_same_bytes() {
    // The parent's buffer is filled, with bytes left for the next draws.
    let (before, _) = generate_client_secret();
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // The child: one draw, its secret to the parent, and out.
        let (secret, _) = generate_client_secret();
        let written = unsafe { libc::write(fds[1], secret.as_ptr().cast(), secret.len()) };
        unsafe {
            libc::_exit(if written == secret.len() as isize {
                0
            } else {
                1
            })
        };
    }
    unsafe { libc::close(fds[1]) };
    let (parent, _) = generate_client_secret();
    let mut child = Vec::new();
    let mut buf = [0u8; 128];
    loop {
        let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
        assert!(n >= 0, "read failed");
        if n == 0 {
            break;
        }
        child.extend_from_slice(&buf[..n as usize]);
    }
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed"
    );
    let child = String::from_utf8(child).unwrap();
    assert_eq!(child.len(), 43, "a whole secret from the child");
    // Served from the copied buffer, the child's draw would be the parent's.
    assert_ne!(child, parent);
    assert_ne!(child, before);
}
