"""The sandbox: PyTorch worker processes (tutor side in client.py/pool.py, worker side in worker/).

Kept import-free: the worker package below is imported by interpreters that have torch but may
not have the tutor's own dependencies.
"""
