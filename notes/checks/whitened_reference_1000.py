"""1000-digit reference for gamma = 1, beta = 10, L = 4 (single root; see whitened_reference.py)."""
import mpmath as mp
mp.mp.dps = 1030
g, b, L = mp.mpf(1), mp.mpf(1) / 10, 4
F = lambda t: t - L * mp.log1p(g * mp.exp(t) / (b + mp.exp(t)) ** 2)
t = mp.findroot(F, (mp.mpf(1), mp.mpf(1.2)), solver="anderson")
print(mp.nstr(mp.exp(t), 1000, strip_zeros=False))
