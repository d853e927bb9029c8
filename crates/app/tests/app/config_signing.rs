//! `hostpay config check` and `boxo.signing.*`: a setting that cannot work stops it with
//! the key named (exit 2); a legacy hash is accepted with a warning.

use hostpay_testkit::process::run;

#[test]
fn config_check_names_the_signing_key_and_prints_the_warnings() {
    let refused = run(
        &[("HOSTPAY__BOXO__SIGNING__ALGORITHM", "rsa")],
        &["config", "check"],
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("boxo.signing.algorithm") && stderr.contains("private_key"),
        "{stderr}"
    );

    let bad_key = run(
        &[
            ("HOSTPAY__BOXO__SIGNING__ALGORITHM", "ecdsa"),
            (
                "HOSTPAY__BOXO__SIGNING__PRIVATE_KEY",
                "-----BEGIN PRIVATE KEY-----\nnope\n",
            ),
        ],
        &["config", "check"],
    );
    assert_eq!(bad_key.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_key.stderr);
    assert!(stderr.contains("boxo.signing.private_key"), "{stderr}");

    for hash in ["md5", "sha1"] {
        let legacy = run(
            &[
                ("HOSTPAY__BOXO__SIGNING__HASH", hash),
                ("HOSTPAY__BOXO__SIGNING__SECRET", "a-signing-secret"),
            ],
            &["config", "check"],
        );
        assert!(legacy.status.success(), "{legacy:?}");
        let stderr = String::from_utf8_lossy(&legacy.stderr);
        assert!(
            stderr.contains("warning: boxo.signing.hash") && stderr.contains(hash),
            "{stderr}"
        );
        let stdout = String::from_utf8_lossy(&legacy.stdout);
        assert!(stdout.contains("boxo.signing.hash"), "{stdout}");
        assert!(!stdout.contains("a-signing-secret"), "{stdout}");
    }
}
