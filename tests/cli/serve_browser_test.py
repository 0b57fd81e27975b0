#!/usr/bin/python3
"""`torchsweep results serve` in a real browser (headless Chromium through Selenium),
against databases written by real sweeps of the seed network: the six learning rates,
and the same with three seeds. Every expected value is read from the SQLite file with
Python's sqlite3, never from the server.

usage: serve_browser_test.py SOURCE_DIR BINARY_DIR
Exit 77 (skipped) without chromium, chromedriver or python3-selenium. With
$TORCHSWEEP_SCREENSHOTS set to a folder, the page's screenshots are saved there.
"""
import http.client
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

SOURCE, BINARY = sys.argv[1], sys.argv[2]
FRONT = os.path.join(BINARY, "torchsweep")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("skipped: python3-selenium is not installed")
    sys.exit(77)
if not CHROMIUM or not DRIVER:
    print("skipped: chromium or chromedriver is not installed")
    sys.exit(77)

failures = []


def check(condition, what):
    print(("ok: " if condition else "FAIL: ") + what)
    if not condition:
        failures.append(what)


def sweep(db, *overrides):
    subprocess.run([FRONT, "run", os.path.join(SOURCE, "experiments/seed_backprop.yaml"), "--db", db, *overrides],
                   check=True, stdout=subprocess.DEVNULL)


def serve(db, *flags):
    """Starts the server; returns the process and the URL it printed."""
    process = subprocess.Popen([FRONT, "results", "serve", "--db", db, "--port", "0", *flags],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    url = line.split(" at ", 1)[1].strip()
    return process, url


def request(port, path, method="GET", host=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def expected_groups(db, key):
    """{param value: {step: (mean, sample std, n)}} of train/loss, from the file."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT p.value, m.step, m.value FROM metrics m JOIN params p ON p.run_id = m.run_id AND p.key = ? "
        "WHERE m.key = 'train/loss' AND m.run_id IN (SELECT id FROM runs WHERE sweep_id = (SELECT max(id) FROM sweeps))",
        (key,)).fetchall()
    con.close()
    values = {}
    for value, step, v in rows:
        values.setdefault(value, {}).setdefault(step, []).append(v)
    out = {}
    for value, steps in values.items():
        out[value] = {}
        for step, vs in steps.items():
            mean = sum(vs) / len(vs)
            std = math.sqrt(sum((v - mean) ** 2 for v in vs) / (len(vs) - 1)) if len(vs) > 1 else None
            out[value][step] = (mean, std, len(vs))
    return out


def smoothed_group_means(db, weight):
    """{lr: {step: mean}} of the runs' train/loss, each run smoothed first by the
    debiased moving average written out here: the weighted average of the values so far,
    the i-th of k weighted by weight^(k - i)."""
    con = sqlite3.connect(db)
    runs = con.execute("SELECT r.id, p.value FROM runs r JOIN params p ON p.run_id = r.id AND p.key = 'optimizer.lr' "
                       "WHERE r.sweep_id = (SELECT max(id) FROM sweeps)").fetchall()
    out = {}
    for run, lr in runs:
        values = [v for (v,) in con.execute("SELECT value FROM metrics WHERE run_id = ? AND key = 'train/loss' "
                                            "ORDER BY step", (run,))]
        steps = [s for (s,) in con.execute("SELECT step FROM metrics WHERE run_id = ? AND key = 'train/loss' "
                                           "ORDER BY step", (run,))]
        numerator = denominator = 0.0
        for step, v in zip(steps, values):
            numerator = weight * numerator + v
            denominator = weight * denominator + 1
            out.setdefault(lr, {}).setdefault(step, []).append(numerator / denominator)
    con.close()
    return {lr: {step: sum(vs) / len(vs) for step, vs in steps.items()} for lr, steps in out.items()}


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1500,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def open_page(driver, url):
    driver.get(url)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))


DATASETS = """
const chart = Chart.getChart(document.getElementById('chart'));
return chart.data.datasets.map(d => ({label: d.label, role: d.role || null, group: d.group || null,
  run: d.run || null, data: d.data.map(p => [p.x, p.y])}));
"""


def screenshot(driver, name):
    folder = os.environ.get("TORCHSWEEP_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        driver.save_screenshot(os.path.join(folder, name))


def console_errors(driver, allowed=()):
    """The console's errors since the last call (reading the log empties it), but for
    those naming one of `allowed` (the 400 of a filter the test got wrong on purpose)."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(a in e["message"] for a in allowed)]


def foreign_requests(driver, url):
    origin = url.split("/?")[0].rstrip("/")
    names = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [n for n in names if not n.startswith(origin + "/")]


def main():
    scratch = tempfile.mkdtemp(prefix="serve-test-")
    try:
        seed_db = os.path.join(scratch, "seed.db")
        seeds_db = os.path.join(scratch, "seeds.db")
        sweep(seed_db)
        sweep(seeds_db, "seed=[1,2,3]")

        # --- HTTP: Host, method, headers; a wildcard bind's token --------------------
        process, url = serve(seed_db)
        try:
            port = int(url.rsplit(":", 1)[1].strip("/"))
            check(url == f"http://127.0.0.1:{port}/", f"the URL printed is the loopback address ({url})")
            status, headers, _ = request(port, "/")
            check(status == 200, "GET / with the served Host: 200")
            check(headers.get("Content-Security-Policy") == "default-src 'self'", "Content-Security-Policy")
            check(headers.get("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options")
            check(headers.get("X-Frame-Options") == "DENY", "X-Frame-Options")
            status, _, _ = request(port, "/api/runs", host=f"rebound.example:{port}")
            check(status == 403, f"a foreign Host header: 403 (got {status})")
            status, headers, _ = request(port, "/api/runs", method="POST")
            check(status == 405, f"POST: 405 (got {status})")
            status, _, body = request(port, "/api/runs?where=" + "optimizer.lr%20%3E%3D")
            error = json.loads(body)
            check(status == 400 and "column" in error, f"a bad filter: 400 with its column ({status} {body[:80]!r})")
        finally:
            process.terminate()
            process.wait()
        process, url = serve(seed_db, "--host", "0.0.0.0")
        try:
            port = int(url.split(":")[2].split("/")[0])
            token = url.split("token=")[1]
            status, _, _ = request(port, "/api/sweeps")
            check(status == 401, f"a non-loopback bind without its token: 401 (got {status})")
            status, headers, _ = request(port, "/api/sweeps?token=" + token)
            check(status == 200 and "torchsweep_token=" + token in headers.get("Set-Cookie", ""),
                  "with its token: 200 and the token as a cookie")
        finally:
            process.terminate()
            process.wait()

        driver = browser()
        try:
            # --- the six learning rates: the table is the sweep's runs ----------------
            process, url = serve(seed_db)
            try:
                open_page(driver, url)
                con = sqlite3.connect(seed_db)
                runs = con.execute("SELECT id, status FROM runs ORDER BY id").fetchall()
                lrs = dict(con.execute("SELECT run_id, value FROM params WHERE key = 'optimizer.lr'").fetchall())
                con.close()
                rows = driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
                shown = sorted((int(r.get_attribute("data-run")), r.find_elements(By.TAG_NAME, "td")[1].text)
                               for r in rows)
                check(shown == sorted(runs), f"the table's rows are the runs of the file ({len(rows)} of {len(runs)})")
                groups = [d for d in driver.execute_script(DATASETS) if d["role"] == "mean"]
                check(sorted(g["group"] for g in groups) == sorted(f"optimizer.lr = {v:g}" for v in lrs.values()),
                      "one line per learning rate")
                driver.find_element(By.ID, "logy").click()
                WebDriverWait(driver, 5).until(lambda d: d.execute_script(
                    "return Chart.getChart(document.getElementById('chart')).options.scales.y.type") == "logarithmic")
                check("logy=1" in driver.current_url, "the log toggle makes y logarithmic and is kept in the URL")
                screenshot(driver, "serve-seed.png")
                driver.find_element(By.ID, "logy").click()
                WebDriverWait(driver, 5).until(lambda d: d.execute_script(
                    "return Chart.getChart(document.getElementById('chart')).options.scales.y.type") == "linear")
                # A filter error is shown with its column.
                box = driver.find_element(By.ID, "where")
                box.send_keys("optimizer.lr >=\n")
                WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "where-error").is_displayed())
                check("column" in driver.find_element(By.ID, "where-error").text, "a filter error is shown")
                box.clear()
                box.send_keys("optimizer.lr >= 0.8\n")
                WebDriverWait(driver, 5).until(
                    lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 3)
                check(True, "the filter optimizer.lr >= 0.8 leaves 3 rows (0.8, 1, 2)")

                # Live: points a run appends while the page is open show within 5 s.
                first = runs[0][0]
                driver.get(url.rstrip("/") + f"/#mode=runs&runs={first}")
                driver.refresh()
                WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
                before = driver.execute_script(DATASETS)[0]["data"]
                con = sqlite3.connect(seed_db)
                last = con.execute("SELECT max(step) FROM metrics WHERE run_id = ? AND key = 'train/loss'",
                                   (first,)).fetchone()[0]
                con.executemany("INSERT INTO metrics (run_id, key, step, value) VALUES (?, 'train/loss', ?, ?)",
                                [(first, last + k, 0.001 * k) for k in (1, 2, 3)])
                con.commit()
                con.close()
                try:
                    WebDriverWait(driver, 5).until(
                        lambda d: len(d.execute_script(DATASETS)[0]["data"]) == len(before) + 3)
                    after = driver.execute_script(DATASETS)[0]["data"]
                    check(after[-1] == [last + 3, 0.003], "appended points show within 5 s")
                except Exception:
                    check(False, "appended points show within 5 s")
                errors = console_errors(driver, allowed=["/api/runs?where=optimizer.lr+%3E%3D&"])
                check(not errors, f"no console errors but the bad filter's 400 ({errors})")
                check(not foreign_requests(driver, url), "nothing requested from another host")
            finally:
                process.terminate()
                process.wait()

            # --- three seeds: one line and one band per rate, mean ± std of the file --
            process, url = serve(seeds_db)
            try:
                for key, count in (("optimizer.lr", 6), ("seed", 3)):
                    open_page(driver, url.rstrip("/") + f"/#by={key}&band=std")
                    driver.refresh()
                    WebDriverWait(driver, 20).until(
                        lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
                    sets = driver.execute_script(DATASETS)
                    expected = expected_groups(seeds_db, key)
                    means = [d for d in sets if d["role"] == "mean"]
                    check(len(means) == count == len(expected), f"by {key}: {count} lines ({len(means)})")
                    check(len([d for d in sets if d["role"] == "upper"]) == count and
                          len([d for d in sets if d["role"] == "lower"]) == count, f"by {key}: {count} bands")
                    worst, compared = 0.0, 0
                    for value, steps in expected.items():
                        label = f"{key} = {value:g}"
                        group = {d["role"]: d for d in sets if d["group"] == label}
                        if set(group) != {"mean", "lower", "upper"}:
                            check(False, f"by {key}: the group {label} is drawn")
                            continue
                        check(f"(N={steps[min(steps)][2]})" in group["mean"]["label"], f"{label}: N in its label")
                        for role in ("mean", "lower", "upper"):
                            for x, y in group[role]["data"]:
                                mean, std, _ = steps[x]
                                want = mean + {"mean": 0, "lower": -1, "upper": 1}[role] * (std or 0)
                                worst = max(worst, abs(y - want))
                                compared += 1
                    check(compared > 0 and worst < 1e-9,
                          f"by {key}: {compared} drawn values equal mean ± std of the file (worst {worst:.2e})")
                    if key == "seed":
                        spread = max(abs(y1 - y0) for d in sets if d["role"] == "upper"
                                     for (_, y1), (_, y0) in zip(d["data"], next(
                                         e for e in sets if e["role"] == "lower" and e["group"] == d["group"])["data"]))
                        check(spread > 0, "grouping by seed pools six rates: the bands have width")
                    screenshot(driver, "serve-seeds.png" if key == "optimizer.lr" else "serve-seeds-by-seed.png")
                # Smoothing: the server smooths each run over all its points, then groups.
                open_page(driver, url.rstrip("/") + "/#band=none&smooth=0.6")
                driver.refresh()
                WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
                want = smoothed_group_means(seeds_db, 0.6)
                worst, compared = 0.0, 0
                for d in driver.execute_script(DATASETS):
                    if d["role"] != "mean":
                        continue
                    lr = next(v for v in want if d["group"] == f"optimizer.lr = {v:g}")
                    for x, y in d["data"]:
                        worst = max(worst, abs(y - want[lr][x]))
                        compared += 1
                check(compared > 0 and worst < 1e-9,
                      f"smoothing 0.6: {compared} drawn means equal the smoothed runs' means (worst {worst:.2e})")
                check(driver.find_element(By.ID, "smooth").get_attribute("value") == "0.6", "the slider shows 0.6")

                # The scatter: one point per run, its learning rate against its last loss.
                con = sqlite3.connect(seeds_db)
                expected_points = sorted(con.execute(
                    "SELECT r.id, p.value, u.last FROM runs r JOIN params p ON p.run_id = r.id AND p.key = "
                    "'optimizer.lr' JOIN summaries u ON u.run_id = r.id AND u.key = 'train/loss' "
                    "WHERE r.sweep_id = (SELECT max(id) FROM sweeps)").fetchall())
                con.close()
                drawn = sorted(tuple(p) for p in driver.execute_script(
                    "return Chart.getChart(document.getElementById('scatter')).data.datasets[0].data"
                    ".map(p => [p.run, p.x, p.y])"))
                check(drawn == [tuple(p) for p in expected_points],
                      f"the scatter has one point per run at (lr, last train/loss) ({len(drawn)} of "
                      f"{len(expected_points)})")
                check(driver.execute_script("return Chart.getChart(document.getElementById('scatter'))"
                                            ".options.scales.x.type") == "logarithmic", "the scatter's x is log")
                screenshot(driver, "serve-seeds-smoothed.png")

                # One run's page: its record, parameters, summaries and config.
                link = driver.find_element(By.CSS_SELECTOR, "#runs tbody tr a.run-link")
                run_id = int(link.text)
                link.click()
                WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "run-page").is_displayed())
                WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#run-tables table"))
                captions = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#run-tables caption")]
                check(captions[:3] == ["run", "params", "summaries"], f"the run's page has its sections ({captions})")
                check(f"run={run_id}" in driver.current_url, "the run's page is kept in the URL")
                page_text = driver.find_element(By.ID, "run-tables").text
                con = sqlite3.connect(seeds_db)
                status, host = con.execute("SELECT status, host FROM runs WHERE id = ?", (run_id,)).fetchone()
                con.close()
                check(status in page_text and host in page_text, "the run's page shows its status and host")
                check('"optimizer"' in driver.find_element(By.CSS_SELECTOR, "pre.config").text,
                      "the run's page shows its config")
                screenshot(driver, "serve-run.png")
                driver.find_element(By.ID, "run-back").click()
                WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "run-page").is_displayed())
                errors = console_errors(driver)
                check(not errors, f"no console errors on the seeds' page ({errors})")
            finally:
                process.terminate()
                process.wait()

            # --- a sweep training while the page is open: its points arrive live ------
            live_db = os.path.join(scratch, "live.db")
            training = subprocess.Popen(
                [FRONT, "run", os.path.join(SOURCE, "experiments/seed_backprop.yaml"), "--db", live_db,
                 "optimizer.lr=0.5", "train.steps=50000000", "train.log_every=5000"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 60
                run_id = None
                while time.monotonic() < deadline and run_id is None:
                    time.sleep(0.2)
                    try:
                        con = sqlite3.connect(live_db)
                        row = con.execute("SELECT r.id FROM runs r WHERE r.status = 'running' AND EXISTS "
                                          "(SELECT 1 FROM metrics m WHERE m.run_id = r.id AND m.key = 'train/loss')"
                                          ).fetchone()
                        con.close()
                        run_id = row[0] if row else None
                    except sqlite3.Error:
                        pass  # the file is being created
                check(run_id is not None, "the live sweep started and recorded points")
                if run_id is not None:
                    process, url = serve(live_db)
                    try:
                        console_errors(driver)  # the closed server of the page before: not this page's
                        open_page(driver, url.rstrip("/") + f"/#mode=runs&runs={run_id}")
                        before = len(driver.execute_script(DATASETS)[0]["data"])
                        try:
                            WebDriverWait(driver, 5).until(
                                lambda d: len(d.execute_script(DATASETS)[0]["data"]) > before)
                            grew = len(driver.execute_script(DATASETS)[0]["data"])
                            check(True, f"a running run's new points show within 5 s ({before} -> {grew})")
                        except Exception:
                            check(False, f"a running run's new points show within 5 s (still {before})")
                        errors = console_errors(driver)
                        check(not errors, f"no console errors on the live page ({errors})")
                    finally:
                        process.terminate()
                        process.wait()
            finally:
                training.terminate()
                training.wait()
        finally:
            driver.quit()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


main()
