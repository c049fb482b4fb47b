"""Development and demonstration helpers of the central: never part of a pilot's central.

`server` runs the real central under uvicorn on loopback for tests, benchmarks and the demo;
`demo_data` holds the demo's fictional staff and cardholders (`central seed-demo`).
"""
