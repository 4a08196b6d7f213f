"""The auto-graded questions, one module per lecture (``lecture01.py``, ...).

Every module here is imported when the registry is first used, so adding a lecture's
questions is writing one module that calls :func:`genlab.grading.checks.register`.
"""
