from __future__ import annotations

import optuna
import optunahub


nb201 = optunahub.load_module("benchmarks/nasbench201_tables")
problem = nb201.Problem(dataset_id="cifar10")
study = optuna.create_study(directions=problem.directions)
study.optimize(problem, n_trials=50)
print(study.best_trial.params, study.best_trial.user_attrs)

multi = nb201.Problem(dataset_id="cifar100", metric_names=["valid_acc", "params"])
study = optuna.create_study(directions=multi.directions)
study.optimize(multi, n_trials=50)
print(len(study.best_trials))
