//! One libFuzzer binary for every target; `TAYORI_FUZZ_TARGET` names the one to run (run.sh sets it).
//! One binary links once, which matters on a two-core machine.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn chosen() -> fn(&[u8]) {
    static CHOSEN: OnceLock<fn(&[u8])> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let name = std::env::var("TAYORI_FUZZ_TARGET").unwrap_or_default();
        match tayori_fuzz::target(&name) {
            Some(target) => target.run,
            None => {
                let names: Vec<_> = tayori_fuzz::TARGETS.iter().map(|t| t.name).collect();
                eprintln!("set TAYORI_FUZZ_TARGET to one of: {}", names.join(" "));
                std::process::exit(2);
            }
        }
    })
}

fuzz_target!(|data: &[u8]| {
    chosen()(data);
});
