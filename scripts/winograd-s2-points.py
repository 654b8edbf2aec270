# Error of Winograd F(3x3, 4x4) (the stride-2 stem form, native/conv/winograd_s2.h) for several point
# sets, simulated in numpy: F(3,4) is the transpose of F(4,3) built on the points (Cook-Toom: A^T
# Vandermonde, G scaled by prod(p_j - p_l), B^T solved from the identity y_i = sum_k g_k d_{i+k}).
# Filter transform in double rounded once; input transform, 12-channel products and output transform
# in float32; error = max |Y - ref| / max |ref| and RMS relative, against a double direct 3x3 output.
# Usage: python3 scripts/winograd-s2-points.py   (numpy; ~10 s)
import numpy as np
def f43(pts):
    a=len(pts)+1; m=4; r=3
    AT=np.zeros((m,a)); G=np.zeros((a,r))
    for j,p in enumerate(pts):
        AT[:,j]=[p**i for i in range(m)]
        f=np.prod([p-q for q in pts if q!=p])
        G[j,:]=[p**k/f for k in range(r)]
    AT[m-1,a-1]=1; G[a-1,r-1]=1
    # solve B^T from the identity y_i = sum_k g_k d_{i+k}
    rows=[];rhs=[]
    for i in range(m):
        for k in range(r):
            for l in range(a):
                row=np.zeros((a,a))
                for j in range(a): row[j,l]=AT[i,j]*G[j,k]
                rows.append(row.ravel()); rhs.append(1.0 if l==i+k else 0.0)
    BT,res,_,_=np.linalg.lstsq(np.array(rows),np.array(rhs),rcond=None)
    BT=BT.reshape(a,a)
    assert np.abs(np.array(rows)@BT.ravel()-np.array(rhs)).max()<1e-9
    return AT,G,BT
def err(pts,N=3000,C=12,K=16,seed=0):
    AT,G,BT=f43(pts)
    Af=AT.T  # F(3,4): z = G^T[(A h).(B^T d)], filter side A = AT^T (6x4), output side G^T (3x6)
    rng=np.random.default_rng(seed)
    d=rng.uniform(-1,1,(N,C,6,6)); h=rng.uniform(-1,1,(C,K,4,4))
    # direct 3x3 outputs in double
    out=np.zeros((N,K,3,3))
    for i in range(3):
        for j in range(3):
            out[:,:,i,j]=np.einsum('ncpq,ckpq->nk',d[:,:,i:i+4,j:j+4],h)
    f=np.float32
    U=(Af@h@Af.T).astype(f)                              # filter transform in double, rounded once
    V=(BT.astype(f)@d.astype(f)@BT.T.astype(f)).astype(f)  # input transform in float
    M=np.einsum('ncxy,ckxy->nkxy',V,U).astype(f)           # products summed over channels (float32 einsum)
    Y=(G.T.astype(f)@M@G.astype(f))
    e=np.abs(Y-out).max()/np.abs(out).max(); rms=np.sqrt(((Y-out)**2).mean()/(out**2).mean())
    return e,rms,np.abs(BT).max(),np.abs(Af).max(),np.abs(G).max()
for name,pts in [('0,+-1,+-2',[0,1,-1,2,-2]),('0,+-1,+-1/2',[0,1,-1,.5,-.5]),('0,+-1,1/2,-2',[0,1,-1,.5,-2])]:
    print(name, ['%.2e'%v for v in err(pts)])
for seed in (1,2):
    for name,pts in [('0,+-1,+-2',[0,1,-1,2,-2]),('0,+-1,+-1/2',[0,1,-1,.5,-.5]),('0,+-1,1/2,-2',[0,1,-1,.5,-2])]:
        print(seed, name, ['%.2e'%v for v in err(pts,seed=seed)[:2]])
