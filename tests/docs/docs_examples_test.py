#!/usr/bin/python3
"""The README's and the docs' examples, run as written.

Every command of a ```sh block of README.md and docs/*.md, and every ```sql block of
docs/results-schema.md, runs in order in one scratch folder (with `build/` pointing at
the build tree and `experiments/` at the sources), and must exit 0. A command that
cannot run here as written is listed in ADAPTED or SKIPPED below with the reason; an
example that nobody listed runs as written, so a new example is tested by default, and
an entry that matches no example fails the test (the docs changed under it).

usage: docs_examples_test.py SOURCE_DIR BINARY_DIR
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

# Training budgets of the full-size examples: the same commands, shortened (the seed
# CNN's 15 epochs of Fashion-MNIST take tens of minutes on two cores).
SHORT_CNN = " ~train.epochs train.steps=4 data.train_limit=256 data.test_limit=128"
ADAPTED = {
    # pattern (matched against the command as written) -> what is appended, and why
    r"^build/torchsweep run experiments/s6_fashion_mnist\.yaml$": (SHORT_CNN, "15 epochs of the seed CNN"),
}
SKIPPED = {
    r"data\.root=/path/to/mnist": "a placeholder path: MNIST itself is not a Debian package",
    r"--slurm": "needs a Slurm cluster (tests/cli/slurm_test.sh submits to a real one)",
    r"^make ": "the build itself: this test runs inside it",
    r"^cmake ": "the build itself: this test runs inside it",
    r"^build-pytorch/": "needs a pip or conda torch (docs/gpu.md; bench/gpu_check.sh on a GPU host)",
    r"bench/gpu_check\.sh": "a GPU host's check",
}
SQL_DOCS = ["docs/results-schema.md"]


def blocks(path, language):
    """The fenced blocks of one language in a Markdown file, as (first line number, text)."""
    found, inside, start, lines = [], False, 0, []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not inside and line.rstrip() == "```" + language:
                inside, start, lines = True, number + 1, []
            elif inside and line.rstrip() == "```":
                inside = False
                found.append((start, "".join(lines)))
            elif inside:
                lines.append(line)
    return found


def commands(text):
    """Shell commands of a block: continuation lines joined, comments dropped; a quoted
    argument may span lines (the README's sqlite3 example)."""
    result, pending = [], ""
    for line in text.splitlines():
        pending += line[:-1] + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on in the next line
            pending += "\n"
            continue
        if words:
            result.append(words)
        pending = ""
    if pending.strip():
        raise SystemExit(f"unterminated command in a block: {pending!r}")
    return result


def main():
    source_dir, binary_dir = (os.path.abspath(p) for p in sys.argv[1:3])
    if not shutil.which("sqlite3"):
        print("the sqlite3 shell is not installed")
        return 77
    work = tempfile.mkdtemp(prefix="docs-examples-")
    try:
        os.symlink(binary_dir, os.path.join(work, "build"))
        os.symlink(os.path.join(source_dir, "experiments"), os.path.join(work, "experiments"))
        env = {k: v for k, v in os.environ.items() if k != "TORCHSWEEP_DB"}
        env["NO_COLOR"] = "1"
        used, failures, ran, skipped = set(), [], 0, 0
        docs = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(source_dir, "docs"))
                                      if f.endswith(".md"))
        for doc in docs:
            for line, text in blocks(os.path.join(source_dir, doc), "sh"):
                for words in commands(text):
                    written = shlex.join(words)
                    where = f"{doc}:{line}: {written}"
                    reason = next((r for p, r in SKIPPED.items() if re.search(p, written) and used.add(p) is None), None)
                    if reason:
                        print(f"skipped  {where}\n         ({reason})")
                        skipped += 1
                        continue
                    for pattern, (extra, why) in ADAPTED.items():
                        if re.search(pattern, written):
                            used.add(pattern)
                            words = words + shlex.split(extra)
                            print(f"adapted  {where}\n         (+{extra}: {why})")
                    run = subprocess.run(words, cwd=work, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, timeout=600)
                    ran += 1
                    status = "ok" if run.returncode == 0 else f"EXIT {run.returncode}"
                    print(f"{status:8} {where}")
                    if run.returncode != 0:
                        failures.append(where)
                        print("         " + run.stdout[-2000:].replace("\n", "\n         "))
        for doc in SQL_DOCS:
            for line, text in blocks(os.path.join(source_dir, doc), "sql"):
                run = subprocess.run(["sqlite3", "-bail", "torchsweep.db"], input=text, cwd=work,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                ran += 1
                where = f"{doc}:{line}: sql"
                ok = run.returncode == 0 and run.stdout.strip() != ""
                print(f"{'ok' if ok else 'FAILED':8} {where}")
                if not ok:
                    failures.append(where + " (an error or no rows)")
                    print("         " + run.stdout[-2000:])
        # The schema version the docs name is the one a new database gets.
        with open(os.path.join(source_dir, "docs/results-schema.md"), encoding="utf-8") as f:
            documented = re.search(r"\(currently (\d+)\)", f.read())
        actual = subprocess.run(["sqlite3", "torchsweep.db", "PRAGMA user_version"], cwd=work,
                                stdout=subprocess.PIPE, text=True).stdout.strip()
        if not documented or documented.group(1) != actual:
            failures.append(f"docs/results-schema.md names schema {documented and documented.group(1)}, "
                            f"a new database has {actual}")
        stale = set(ADAPTED) | set(SKIPPED)
        stale -= used
        for pattern in sorted(stale):
            failures.append(f"the entry {pattern!r} of this test matches no example any more")
        print(f"\n{ran} examples ran, {skipped} skipped, {len(failures)} failed")
        for failure in failures:
            print("FAILED: " + failure)
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
