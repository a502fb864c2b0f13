//! Windows builds get an icon and version details linked into tayori.exe (packaging/windows/tayori.rc),
//! and one symbol the HTML engine's C wrapper names but never defines
//! (src/ui/html_page/windows_link.cpp); other targets need nothing here.

fn main() {
    println!("cargo:rerun-if-changed=packaging/windows/tayori.rc");
    println!("cargo:rerun-if-changed=assets/icons/tayori.ico");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    println!("cargo:rerun-if-changed=src/ui/html_page/windows_link.cpp");
    if std::env::var_os("CARGO_FEATURE_GUI").is_some() {
        cc::Build::new()
            .cpp(true)
            .std("c++17")
            .file("src/ui/html_page/windows_link.cpp")
            .compile("tayori_litehtml_link");
        static_cxx_runtime();
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

/// litehtml-sys links `-lstdc++`, which MinGW's linker resolves to libstdc++-6.dll: a DLL the
/// person's Windows does not have. A folder holding only the static library, searched first,
/// makes the same `-lstdc++` link it into tayori.exe (tests/packaging.sh checks the imports).
fn static_cxx_runtime() {
    let gxx = cc::Build::new().cpp(true).get_compiler();
    let Ok(found) = std::process::Command::new(gxx.path())
        .arg("-print-file-name=libstdc++.a")
        .output()
    else {
        return;
    };
    let archive = std::path::PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
    if !archive.is_absolute() {
        return;
    }
    let dir =
        std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("static-cxx");
    std::fs::create_dir_all(&dir).expect("a folder for the C++ runtime");
    let link = dir.join("libstdc++.a");
    let _ = std::fs::remove_file(&link);
    std::fs::copy(&archive, &link).expect("the static C++ runtime");
    println!("cargo:rustc-link-search=native={}", dir.display());
}
