//! Briefs under examples/refused/ break the input contract on purpose: each is
//! refused with the field path, through the CLI a newcomer would use.

mod common;

#[test]
fn refused_examples_name_their_field() {
    let dir = common::repo().join("examples/refused");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_proofline"))
            .args(["generate", "--library"])
            .arg(common::repo())
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("invalid: brief."),
            "{}: {stderr}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 1);
}
