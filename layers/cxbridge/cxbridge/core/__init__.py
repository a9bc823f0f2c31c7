"""The platform every feature stands on: settings, observability and masking, errors, outbound HTTP and
OAuth, AWS clients, API Gateway and REST helpers, retry arithmetic. Imports no feature."""
