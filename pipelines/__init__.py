"""One module per stage; each stage is a plain function over typed inputs and outputs, no HTTP."""
