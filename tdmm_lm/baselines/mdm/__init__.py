"""MDM: a transformer diffusion model over motion features.

    tdmm-lm baseline train mdm --config configs/baselines/mdm_tiny.yaml
    tdmm-lm generate "A person smiles widely." --model runs/mdm_tiny -o smile.csv

configuration.py (settings) · modeling.py (the network, sampling) · diffusion.py (schedule,
DDIM/DDPM steps) · training.py (data for the shared loop) · generator.py (``MDMGenerator``).
Registered in ``tdmm_lm.baselines.registry``; importing this package imports no torch.
"""
