"""The local stack: AWS resources from ``template.yaml`` on moto, handlers in-process."""
