"""The one training runner every trainer plugs into (see ``runner.py``): a trainer is a small
``Task`` (model, parameter groups, batch, step -> loss and logs, validate, save) and gets
accelerate/DeepSpeed, seeding, accumulation, mixed precision, clipping, the schedule, EMA, the
time limit, validation, ``best/``, resumable ``last/``, logs and trackers for free."""
