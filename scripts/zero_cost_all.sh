#!/bin/sh
# the bulk proxy computation of this branch, in order of priority (one process, resumable; every
# step visits classes in the same seeded random order, so a step stopped early leaves a sample)
set -e
cd "$(dirname "$0")/.."
P="python scripts/compute_proxies.py"
$P --table nb201-cifar10 --proxies synflow
$P --table nb201-cifar10 --proxies snip,grad_norm,fisher,jacob_cov,naswot,zen --limit 400
$P --table nb201-cifar10 --proxies grasp --limit 100
$P --table nb201-imagenet16-120 --proxies synflow
$P --table nb201-cifar100 --proxies synflow
