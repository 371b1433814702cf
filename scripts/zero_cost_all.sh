#!/bin/sh
# the bulk proxy computation of this project, in order of priority (one process of one thread,
# resumable; every step visits classes in the same seeded random order, so a step stopped early
# leaves a uniform random sample). `nasbench proxies` is the CLI form (python -m nasbench.cli).
set -e
cd "$(dirname "$0")/.."
P="python -m nasbench.cli proxies --threads 1"
$P nb201-cifar10 --proxies synflow
$P nb201-cifar10 --proxies snip,grad_norm,fisher,jacob_cov,naswot,zen --limit 400
$P nb201-cifar10 --proxies grasp --limit 100
$P nb201-imagenet16-120 --proxies synflow
$P nb201-cifar100 --proxies synflow
# session 6: the rest of the data-dependent proxies, then grasp
$P nb201-cifar10 --proxies jacob_cov,naswot
$P nb201-cifar10 --proxies snip,grad_norm,fisher,zen
$P nb201-cifar100 --proxies jacob_cov,naswot,snip,grad_norm,fisher,zen
$P nb201-imagenet16-120 --proxies jacob_cov,naswot,snip,grad_norm,fisher,zen
$P nb201-cifar10 --proxies grasp
$P nb201-cifar100 --proxies grasp
$P nb201-imagenet16-120 --proxies grasp
python scripts/build_nb201_tables.py --write
# the CPU tables (their own recipe network and training data), folded into their files
$P nb201-fashion-mnist --write
$P nb201-digits --proxies synflow,zen,snip,grad_norm,fisher,jacob_cov,naswot --write
$P nb201-digits --proxies grasp --write
