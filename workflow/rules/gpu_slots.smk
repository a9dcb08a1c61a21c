"""Several GPU jobs on one GPU (local runs): one run of a small model uses a fraction of an H100.

Every rule that may use a GPU asks for one `gpu_slots` unit. The local profile names the GPUs
of the machine (`resources: gpus: N`); this file then limits the jobs running at once on them to
N x the preset's `resources.gpu_slots` (default 1: one job per GPU), unless `gpu_slots` is given
itself (`--resources gpu_slots=8`). Without `gpus` (e.g. the SLURM profile, where each job gets
its own GPUs) nothing is limited here.
"""
GPU_SLOTS_PER_GPU = config["resources"]["gpu_slots"]

if "gpus" in workflow.global_resources and "gpu_slots" not in workflow.global_resources:
    workflow.register_resource("gpu_slots", workflow.global_resources["gpus"].value * GPU_SLOTS_PER_GPU)
