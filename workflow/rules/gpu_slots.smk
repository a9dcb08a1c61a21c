"""Several GPU jobs on one GPU (local runs): one run of a small model uses a fraction of an H100.

Every rule that may use a GPU asks for one `gpu_slots` unit. The GPUs of the machine are the
profile's `resources: gpus: N` (or `--resources gpus=N`), else, on a local run, the GPUs this
process sees; the jobs running at once on them are then limited to N x the preset's
`resources.gpu_slots` (default 1: one job per GPU), unless `gpu_slots` is given itself
(`--resources gpu_slots=8`). On a cluster (e.g. the SLURM profile, where each job gets its own
GPUs) or on a machine without a GPU nothing is limited here.
"""
from benchmark.workflow_start import visible_gpus

GPU_SLOTS_PER_GPU = config["resources"]["gpu_slots"]
GPUS_DECLARED = workflow.global_resources["gpus"].value if "gpus" in workflow.global_resources else None

if "gpu_slots" not in workflow.global_resources:
    if GPUS_DECLARED is not None:
        workflow.register_resource("gpu_slots", GPUS_DECLARED * GPU_SLOTS_PER_GPU)
    elif workflow.local_exec and visible_gpus():
        workflow.register_resource("gpu_slots", visible_gpus() * GPU_SLOTS_PER_GPU)
