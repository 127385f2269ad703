"""The course labs, runnable end to end: ``neurona lab N`` or ``neurona.labs.LABS[N](out, quick, seed)``."""

from neurona.labs import lab1, lab2, lab3
from neurona.labs.common import LabResult

LABS = {1: lab1.run, 2: lab2.run, 3: lab3.run}

__all__ = ["LABS", "LabResult", "lab1", "lab2", "lab3"]
