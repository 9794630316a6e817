module ctpolicy.dev/ctpolicy/bindings/go

go 1.24
