//! Windows builds get an icon and version details linked into tayori.exe (packaging/windows/tayori.rc);
//! other targets need nothing here.

fn main() {
    println!("cargo:rerun-if-changed=packaging/windows/tayori.rc");
    println!("cargo:rerun-if-changed=assets/icons/tayori.ico");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    // FILEVERSION wants four numbers: 1.2.3-beta.1 becomes 1,2,3,0.
    let mut numbers: Vec<String> = version
        .split(['.', '-', '+'])
        .take(3)
        .map(|part| part.parse::<u16>().unwrap_or(0).to_string())
        .collect();
    numbers.resize(4, "0".into());
    let macros = [
        format!("VERSION_NUMBERS={}", numbers.join(",")),
        format!("VERSION_TEXT=\\\"{version}\\\""),
    ];
    embed_resource::compile("packaging/windows/tayori.rc", &macros)
        .manifest_optional()
        .expect("the Windows resources (icon, version) could not be compiled");
}
