//! The reports in a real browser: headless Chromium loads the `report.html` of a short
//! run and of a small grid sweep, the test checks every SVG chart is laid out with a
//! real size, and a screenshot of each page is decoded and checked not to be blank.
//!
//! Chromium is required (`.ci/run` installs Debian's `chromium` when it is missing).
//! Without it the test fails, unless `ROLLCAGE_BROWSER_TESTS=off`, which skips it with
//! a notice. `ROLLCAGE_CHROMIUM` names another binary. The screenshots stay in the
//! system temporary directory (`rollcage-browser/`) for a person to look at.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{run_ok, stderr, temp_dir};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ROLLCAGE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Runs Chromium headless on `url` with `extra` flags, in a fresh profile under
/// `work`, killing it after a minute.
fn headless(browser: &Path, work: &Path, extra: &[String], url: &str) -> Output {
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = work.join(format!("profile-{n}"));
    let _ = fs::remove_dir_all(&profile);
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    // Files, not pipes: a page's DOM outgrows a pipe's buffer while we wait.
    .stdout(fs::File::create(work.join(format!("stdout-{n}"))).unwrap())
    .stderr(fs::File::create(work.join(format!("stderr-{n}"))).unwrap());
    let mut child = cmd.spawn().expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("chromium runs") {
            let _ = fs::remove_dir_all(&profile);
            let read = |name: &str| {
                let path = work.join(format!("{name}-{n}"));
                let bytes = fs::read(&path).unwrap_or_default();
                let _ = fs::remove_file(&path);
                bytes
            };
            return Output {
                status,
                stdout: read("stdout"),
                stderr: read("stderr"),
            };
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The page with a probe appended that writes each chart's laid-out size into the
/// DOM, which `--dump-dom` then prints. The report itself has no script; only this
/// test copy does.
fn probe_copy(html: &str, dir: &Path) -> PathBuf {
    let probe = r#"<pre id="probe"></pre><script>
const out = [];
for (const svg of document.querySelectorAll('svg.chart')) {
  const r = svg.getBoundingClientRect();
  out.push('LAID' + 'OUT ' + svg.id + ' ' + Math.round(r.width) + ' ' + Math.round(r.height) +
    ' ' + svg.querySelectorAll('text').length);
}
document.getElementById('probe').textContent = out.join('\n');
</script>"#;
    let page = html.replace("</body>", &format!("{probe}\n</body>"));
    let path = dir.join("probe.html");
    fs::write(&path, page).unwrap();
    path
}

/// Decodes a PNG to (width, height, RGB or RGBA bytes, bytes per pixel).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let bpp = info.color_type.samples();
    (info.width, info.height, buf, bpp)
}

/// Loads `report` in Chromium: every chart laid out with a real size, and a
/// screenshot that is not blank. Returns the screenshot's path.
fn check_in_browser(browser: &Path, report: &Path, work: &Path, expect_charts: usize) -> PathBuf {
    let html = fs::read_to_string(report).unwrap();
    assert!(
        !html.to_lowercase().contains("<script"),
        "the report needs no JavaScript"
    );
    let ids: Vec<&str> = html
        .match_indices("<svg id=\"chart-")
        .map(|(i, _)| {
            let rest = &html[i + "<svg id=\"".len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(ids.len(), expect_charts, "charts in {}", report.display());

    // Layout: each chart's box in the rendered page.
    let probe = probe_copy(&html, report.parent().unwrap());
    let o = headless(
        browser,
        work,
        &["--dump-dom".into(), "--window-size=1280,2400".into()],
        &format!("file://{}", probe.display()),
    );
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "chromium --dump-dom failed: {}",
        stderr(&o)
    );
    fs::remove_file(&probe).unwrap();
    let laid_out: Vec<(String, u32, u32, u32)> = dom
        .lines()
        .filter_map(|l| l.find("LAIDOUT ").map(|i| &l[i + "LAIDOUT ".len()..]))
        .map(|l| {
            let l = l.split('<').next().unwrap_or("");
            let f: Vec<&str> = l.split(' ').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        laid_out.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ids,
        "every chart is in the DOM:\n{dom}"
    );
    for (id, w, h, texts) in &laid_out {
        assert!(*w >= 400 && *h >= 100, "{id} is laid out {w}x{h}");
        assert!(*texts >= 5, "{id} has {texts} text elements");
    }

    // Pixels: a screenshot of the top of the page.
    let shot = work.join(format!(
        "{}.png",
        report
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
    ));
    let o = headless(
        browser,
        work,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".into(),
        ],
        &format!("file://{}", report.display()),
    );
    assert!(shot.exists(), "no screenshot: {}", stderr(&o));
    let (w, h, px, bpp) = decode(&fs::read(&shot).unwrap());
    assert_eq!((w, h), (1280, 2400));
    let pixels: Vec<[u8; 3]> = px.chunks(bpp).map(|c| [c[0], c[1], c[2]]).collect();
    let mut colours = pixels.clone();
    colours.sort();
    colours.dedup();
    let not_white = pixels.iter().filter(|p| p.iter().any(|&c| c < 235)).count();
    let hued = pixels
        .iter()
        .filter(|p| p.iter().max().unwrap() - p.iter().min().unwrap() > 80)
        .count();
    assert!(colours.len() > 50, "{} colours only", colours.len());
    assert!(
        not_white * 20 > pixels.len(),
        "{not_white} of {} pixels are drawn",
        pixels.len()
    );
    assert!(hued > 5000, "{hued} coloured pixels: are the charts drawn?");
    shot
}

#[test]
fn reports_render_in_chromium() {
    if std::env::var("ROLLCAGE_BROWSER_TESTS").as_deref() == Ok("off") {
        eprintln!("browser test skipped: ROLLCAGE_BROWSER_TESTS=off");
        return;
    }
    let Some(browser) = chromium() else {
        panic!(
            "chromium not found on PATH: install it (apt-get install chromium; .ci/run does) \
             or set ROLLCAGE_BROWSER_TESTS=off to skip this test"
        );
    };
    let work = std::env::temp_dir().join("rollcage-browser");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).unwrap();
    let dir = temp_dir("browser");
    let run = dir.join("run");
    run_ok(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        "gated-10pct",
        "--set",
        "scenario.run.horizon_seconds=600",
        "--out",
        &run.display().to_string(),
    ]);
    let sweep = dir.join("sweep");
    run_ok(&[
        "sweep",
        "--scenarios",
        "good-release,memory-leak",
        "--policies",
        "gated-10pct",
        "--grid",
        "policy.max_unavailable=0,2",
        "--grid",
        "policy.bake_seconds=30,60",
        "--set",
        "scenario.run.horizon_seconds=600",
        "--seeds",
        "2",
        "--bootstrap",
        "100",
        "--out",
        &sweep.display().to_string(),
    ]);

    let started = Instant::now();
    let run_shot = check_in_browser(&browser, &run.join("report.html"), &work, 1);
    // Pareto, rates, one ttd CDF, two budget charts, one heat map.
    let sweep_shot = check_in_browser(&browser, &sweep.join("report.html"), &work, 6);
    eprintln!(
        "browser checks took {:.1} s; screenshots: {} {}",
        started.elapsed().as_secs_f64(),
        run_shot.display(),
        sweep_shot.display()
    );
    fs::remove_dir_all(dir).unwrap();
}
