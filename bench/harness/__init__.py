"""What every benchmark shares, one idea a module:

- `stores`: which PostgreSQL database and Redis db a run may wipe, and wiping them;
- `server`: the project's CLI as a subprocess (`migrate`, `serve`) and its environment;
- `rawhttp`: a minimal keep-alive HTTP/1.1 client for load generators;
- `load`: the load generator that runs in child processes;
- `phase`: one load phase driven from the benchmark's own process, with the CPU each party used;
- `cpu`: CPU accounting from /proc;
- `netns`, `forward`, `hosts`: servers on several network namespaces of this machine (--hosts);
- `fixtures`: the bureau user, verified trainees and a published batch, made with project code;
- `figures`: percentiles, progress lines, and the one JSON line a benchmark prints.
"""
