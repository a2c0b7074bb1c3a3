"""The lending research platform's Python: the sample-data generator, the build wrapper
and its checks, the charts report, the S3 publisher and the benchmark."""
