//! Builds the dashboard (`dashboard/dist`), which the binary embeds, with
//! `npm ci && npm run build` when it is missing or older than its sources, so
//! that `cargo run --release -- serve` on a fresh clone serves it. Fails the
//! build, with npm's output, when npm is missing or fails.
//!
//! `RUSTQUEUE_SKIP_DASHBOARD=1` leaves npm alone (for `cargo check` or a quick
//! test loop without Node.js): the binary embeds whatever `dashboard/dist`
//! holds, possibly nothing, and then serves the "dashboard not built" page.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// What the built dashboard is made from.
const INPUTS: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "tsconfig.app.json",
];

fn main() {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dashboard = PathBuf::from(manifest_dir).join("../../dashboard");
    for input in INPUTS {
        println!("cargo:rerun-if-changed={}", dashboard.join(input).display());
    }
    println!("cargo:rerun-if-env-changed=RUSTQUEUE_SKIP_DASHBOARD");
    if std::env::var_os("RUSTQUEUE_SKIP_DASHBOARD").is_some_and(|v| v == "1") {
        println!(
            "cargo:warning=RUSTQUEUE_SKIP_DASHBOARD=1: the dashboard is not rebuilt; \
             the binary embeds whatever dashboard/dist holds"
        );
        return;
    }
    let built = modified(&dashboard.join("dist/index.html"));
    let sources = INPUTS
        .iter()
        .filter_map(|input| newest(&dashboard.join(input)))
        .max();
    if built.is_some() && built >= sources {
        return;
    }
    let installed = modified(&dashboard.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < modified(&dashboard.join("package-lock.json")) {
        npm(&dashboard, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&dashboard, &["run", "build"]);
    if !dashboard.join("dist/index.html").exists() {
        panic!("`npm run build` in dashboard/ succeeded but made no dist/index.html");
    }
}

/// Runs npm in `dir`, failing the build loudly with its output when it fails.
fn npm(dir: &Path, args: &[&str]) {
    let program = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let shown = format!("npm {}", args.join(" "));
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        // Cargo sets DEBUG for build scripts; Node's `debug` module would read it.
        .env_remove("DEBUG")
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run `{shown}` to build the dashboard: {error}. \
                 RustQueue's build needs Node.js 20+ and npm on the PATH."
            )
        });
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stdout));
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        panic!(
            "`{shown}` in {} failed ({}); its output is above",
            dir.display(),
            output.status
        );
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|meta| meta.modified()).ok()
}

/// The latest modification time of a file, or of anything under a folder
/// except tests, which are not part of the build.
fn newest(path: &Path) -> Option<SystemTime> {
    let own = modified(path);
    let Ok(entries) = std::fs::read_dir(path) else {
        return own;
    };
    entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            !name.contains(".test.") && name != "test"
        })
        .filter_map(|entry| newest(&entry.path()))
        .chain(own)
        .max()
}
