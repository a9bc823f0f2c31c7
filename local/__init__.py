"""The local stack: AWS resources from ``template.yaml`` on moto, each function in its own processes."""
