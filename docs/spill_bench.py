import redis, random, time, subprocess, sys, os, bisect, tempfile, socket
# Usage: VK_SERVER=target/release/vk-server python3 docs/spill_bench.py
BIN=os.environ.get("VK_SERVER") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "vk-server")
def port():
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); return p
def rss(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1])//1024
def run(extra, label):
    d=tempfile.mkdtemp(prefix="lfu-spillbench-"); p=port()
    proc=subprocess.Popen([BIN,"--port",str(p),"--dir",d,"--save",""]+extra,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
    time.sleep(0.7)
    r=redis.Redis(port=p)
    N,L=6400,16*1024
    rnd=random.Random(1)
    val=bytes(rnd.choice(b"abcdefghijklmnop") for _ in range(L))
    t0=time.time(); series=[]
    pipe=r.pipeline(transaction=False)
    for i in range(N):
        pipe.set(f"k{i}", val[i%97:]+val[:i%97])
        if i%200==199:
            pipe.execute(); series.append((round(time.time()-t0,1), rss(proc.pid)))
    pipe.execute()
    # Zipf(s=1) over N keys
    w=[1/(i+1) for i in range(N)]; cum=[]; c=0
    for x in w: c+=x; cum.append(c)
    lat=[]; ops=0; t1=time.time()
    while time.time()-t1<20:
        k=bisect.bisect(cum, rnd.random()*c)
        a=time.perf_counter()
        if rnd.random()<0.9: r.get(f"k{k}")
        else: r.set(f"k{k}", val)
        lat.append(time.perf_counter()-a); ops+=1
        if ops%2000==0: series.append((round(time.time()-t0,1), rss(proc.pid)))
    el=time.time()-t1; lat.sort()
    info=r.info("spill")
    print(f"{label}: {ops/el:.0f} ops/s, p50 {lat[len(lat)//2]*1e6:.0f}us, p99 {lat[int(len(lat)*0.99)]*1e6:.0f}us, max RSS {max(s[1] for s in series)} MiB, final RSS {rss(proc.pid)} MiB, hit rate {info.get('spill_memory_hit_rate')}, disk keys {info.get('spill_disk_keys')}")
    print("  RSS over time (s, MiB):", series[::max(1,len(series)//12)])
    proc.kill(); proc.wait()
    import shutil; shutil.rmtree(d, ignore_errors=True)
run([], "all in memory")
spill=["--maxmemory","20mb","--spill-enabled","yes","--spill-min-value-size","1024"]
run(spill, "spill, maxmemory 20mb (noeviction: spill victims by LRU)")
run(spill+["--maxmemory-policy","allkeys-lfu"], "spill, maxmemory 20mb, allkeys-lfu (victims by LFU)")
