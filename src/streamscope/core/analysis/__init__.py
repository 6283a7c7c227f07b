"""Live analysis of streams, Qt-free: statistics, anomalies, forecasts, XY alignment, derived
streams, threshold alerts and summaries. Each module is pure numpy over chunks of samples, so
the render clock can feed it what arrived since the last frame.
"""
