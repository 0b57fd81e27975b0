#!/usr/bin/python3
"""Times Optuna's SQLite storage recording N intermediate values with trial.report.

    /usr/bin/python3 bench/optuna_report.py N DB_PATH   -> prints the seconds taken
"""
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
n, path = int(sys.argv[1]), sys.argv[2]
study = optuna.create_study(storage=f"sqlite:///{path}", study_name="bench")
trial = study.ask()
start = time.perf_counter()
for step in range(n):
    trial.report(1.0 / (step + 1), step)
print(time.perf_counter() - start)
