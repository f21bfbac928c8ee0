module zio/benchmarks/peers/go

go 1.19
