"""Random numbers the way course notebooks draw them: global seeds, Generator objects passed as
``generator=``, sampling from probabilities, permutations and in-place initialisers. Values differ
between libraries (different generators), so what is compared is what must hold in both."""

import torch

torch.manual_seed(0)
a = torch.randn(3, 4)
torch.manual_seed(0)
b = torch.randn(3, 4)

g1 = torch.Generator().manual_seed(42)
g2 = torch.Generator().manual_seed(42)
r1 = torch.rand(5, generator=g1)
r2 = torch.rand(5, generator=g2)
n1 = torch.randn(2, 2, generator=g1)
perm = torch.randperm(10, generator=g2)
ints = torch.randint(0, 5, (100,), generator=g1)
ints2 = torch.randint(3, (4,))
probs = torch.tensor([[0.0, 0.2, 0.8], [0.5, 0.0, 0.5]])
draws = torch.multinomial(probs, 2, replacement=False, generator=g1)
many = torch.multinomial(torch.tensor([0.1, 0.9]), 400, replacement=True, generator=g1)
coin = torch.bernoulli(torch.full((1000,), 0.25), generator=g1)
normal = torch.normal(2.0, 3.0, size=(2000,), generator=g1)
normal_t = torch.normal(torch.zeros(3), torch.ones(3))

w = torch.empty(200, 50)
with torch.no_grad():
    w.uniform_(-0.5, 0.5)
u_ok = bool((w >= -0.5).all()) and bool((w < 0.5).all())
w.normal_(0.0, 0.01)
z = torch.empty(10).bernoulli_(0.0)
e = torch.empty(500).exponential_(2.0)
rnd = torch.empty(50, dtype=torch.int64).random_(0, 3)

out = {
    "same_seed_same_numbers": torch.equal(a, b),
    "generators_reproducible": torch.equal(r1, r2),
    "shapes": (tuple(n1.shape), tuple(perm.shape), tuple(ints.shape), tuple(draws.shape), tuple(normal_t.shape)),
    "perm_is_permutation": sorted(perm.tolist()) == list(range(10)),
    "ints_in_range": (int(ints.min()) >= 0, int(ints.max()) <= 4, int(ints2.max()) <= 2),
    "dtypes": tuple(str(t.dtype).split(".")[-1] for t in (perm, ints, draws, coin, rnd)),
    "multinomial_rows": (set(draws[0].tolist()) == {1, 2}, set(draws[1].tolist()) == {0, 2}),
    "multinomial_freq": abs(many.float().mean().item() - 0.9) < 0.06,
    "bernoulli_freq": abs(coin.mean().item() - 0.25) < 0.05,
    "normal_moments": (abs(normal.mean().item() - 2.0) < 0.3, abs(normal.std().item() - 3.0) < 0.3),
    "uniform_range": u_ok,
    "normal_std": abs(w.std().item() - 0.01) < 0.002,
    "bernoulli_zero": z.sum().item() == 0.0,
    "exponential_mean": abs(e.mean().item() - 0.5) < 0.1,
    "random_range": (int(rnd.min()) >= 0, int(rnd.max()) <= 2),
    "initial_seed": g1.initial_seed(),
}
