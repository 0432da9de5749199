"""Reference side of the @ft/hparams journal interop tests: real Optuna (Debian's python3-optuna 3.1) on a journal file,
or on a journal in Redis when PATH is a redis:// URL. OPTUNA_JOURNAL_LOCK=open selects JournalFileOpenLock (the default
is Optuna's default, JournalFileSymlinkLock).

  write PATH          run a small seeded study "py" (float/int/categorical params, a pruned, a failed, a NaN and an inf
                      trial, attrs, reports) and print its summary
  read PATH STUDY     load STUDY and print its summary
  hold PATH SECONDS    take Optuna's file lock on PATH, print "locked", hold it SECONDS, release it
  append PATH STUDY N [PAUSE]
                      ask/tell N trials (value = trial number) on STUDY, PAUSE seconds apart, printing nothing

Summaries are one json.dumps line: {"directions", "user_attrs", "trials": [...], "best": {number, value} | null}.
"""
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import optuna  # noqa: E402
from optuna.storages import JournalFileOpenLock, JournalFileStorage, JournalStorage  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)


def storage(path):
    if path.startswith("redis://"):
        from optuna.storages import JournalRedisStorage

        return JournalStorage(JournalRedisStorage(path))
    if os.environ.get("OPTUNA_JOURNAL_LOCK") == "open":
        return JournalStorage(JournalFileStorage(path, lock_obj=JournalFileOpenLock(path)))
    return JournalStorage(JournalFileStorage(path))


def summary(study):
    trials = []
    for t in study.get_trials(deepcopy=False):
        trials.append({
            "number": t.number,
            "state": t.state.name,
            "params": t.params,
            "values": t.values,
            "intermediate": {str(k): v for k, v in sorted(t.intermediate_values.items())},
            "user_attrs": t.user_attrs,
        })
    try:
        best = {"number": study.best_trial.number, "value": study.best_value}
    except ValueError:
        best = None
    return {
        "directions": [d.name for d in study.directions],
        "user_attrs": study.user_attrs,
        "trials": trials,
        "best": best,
    }


def objective(trial):
    x = trial.suggest_float("x", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 1, 8)
    c = trial.suggest_categorical("c", ["a", "b", None])
    trial.set_user_attr("tag", "t%d" % trial.number)
    for step in range(3):
        trial.report(x * n + step, step)
    if trial.number == 2:
        raise optuna.TrialPruned()
    if trial.number == 3:
        raise ValueError("failed on purpose")
    if trial.number == 4:
        trial.report(float("nan"), 3)  # a NaN report is stored as NaN
        return float("nan")  # a NaN objective: Optuna records a FAIL
    if trial.number == 5:
        return float("inf")
    return x * n + (0.5 if c == "b" else 0.0)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "write":
        study = optuna.create_study(study_name="py", storage=storage(path), sampler=optuna.samplers.TPESampler(seed=1))
        study.set_user_attr("owner", "python")
        study.optimize(objective, n_trials=8, catch=(ValueError,))
        print(json.dumps(summary(study)))
    elif cmd == "read":
        print(json.dumps(summary(optuna.load_study(study_name=sys.argv[3], storage=storage(path)))))
    elif cmd == "append":
        study = optuna.load_study(study_name=sys.argv[3], storage=storage(path))
        pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
        for _ in range(int(sys.argv[4])):
            t = study.ask()
            study.tell(t, float(t.number))
            time.sleep(pause)
    elif cmd == "hold":
        from optuna.storages import JournalFileSymlinkLock

        lock_cls = JournalFileOpenLock if os.environ.get("OPTUNA_JOURNAL_LOCK") == "open" else JournalFileSymlinkLock
        lock = lock_cls(path)
        lock.acquire()
        print("locked", flush=True)
        time.sleep(float(sys.argv[3]))
        lock.release()
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
