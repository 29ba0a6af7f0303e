"""Functions run as Lambda runs them: execution environments (worker processes), the Invoke API.

spec.py        FunctionSpec, Invocation, the Function protocol every trigger calls
pool.py        ExecutionEnvironments: a function's worker processes (fork server, warm reuse,
               reserved concurrency, timeout, crash = function error)
worker.py      the bootstrap of one execution environment (environment, logs, handler by path)
in_process.py  InProcessFunction: a handler run in the caller's process (unit tests)
runtime.py     FunctionRuntime: every function of one environment, specs from the declarations
invoke_api.py  LambdaApi: POST /2015-03-31/functions/{name}/invocations
"""
