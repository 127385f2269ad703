"""Optimisers and learning-rate schedules, as ``torch.optim``.  ``from neurona import optim``.

opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
for epoch in range(epochs):
    for x, y in loader:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    sched.step()
"""

from neurona.optim import lr_scheduler
from neurona.optim.adadelta import Adadelta
from neurona.optim.adagrad import Adagrad
from neurona.optim.adam import Adam, AdamW
from neurona.optim.nadam import NAdam
from neurona.optim.optimizer import Optimizer
from neurona.optim.rmsprop import RMSprop
from neurona.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "NAdam", "Optimizer", "RMSprop", "lr_scheduler"]
