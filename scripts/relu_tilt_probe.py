#!/usr/bin/env python3
"""Integrability of the ReLU tilt at the lazy point of the digits case (notes/verify-bayes.md,
section 6, "ReLU on digits: one check"): gamma^2 max_d (v.relu(d))^2 / (d^T Phi1^{-1} d), run from
the repository root."""
import numpy as np
X=np.load('Tests/Fixtures/digits/X_train.npy')[:8]; y=np.load('Tests/Fixtures/digits/y_train.npy')[:8].astype(float)
C=X@X.T/X.shape[1]; C/=np.mean(np.diag(C)); y/=np.linalg.norm(y); b=0.1
def relu_k(K):
    d=np.sqrt(np.diag(K)); c=np.clip(K/np.outer(d,d),-1,1); t=np.arccos(c)
    return np.outer(d,d)/(2*np.pi)*(np.sin(t)+(np.pi-t)*c)
def cone_ratio(Phi,v,rng=np.random.default_rng(0)):
    # max over directions d of (v.relu(d))^2 / (d^T Phi^{-1} d); d = R u, Phi = R R^T
    R=np.linalg.cholesky(Phi); best=0
    for r in range(300):
        u=rng.standard_normal(len(v)); u/=np.linalg.norm(u)
        for it in range(300):
            d=R@u; a=v@np.maximum(d,0); g=R.T@(v*(d>0))*a*2
            u=u+0.05*g/ max(1e-12,np.linalg.norm(g)); u/=np.linalg.norm(u)
        d=R@u; best=max(best,(v@np.maximum(d,0))**2)
    return best
P1=relu_k(C); P2=relu_k(P1)
for g in [1.0,0.5]:
    v=np.linalg.solve(P2+b*np.eye(8),y)
    print(f"gamma={g}: lazy point: eig Phi1 {np.round(np.linalg.eigvalsh(P1)[-3:],3)}; g^2 v^T Phi1 v = {g*g*v@P1@v:.3f} (linear-type bound); g^2 max_cone = {g*g*cone_ratio(P1,v):.3f}; g^2 max_cone with -v = {g*g*cone_ratio(P1,-v):.3f}")
    # integrability of Z_2 requires g^2 * max(cone_ratio(v), cone_ratio(-v)) < 1 (exponent along rays)
