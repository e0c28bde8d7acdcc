"""Where telemetry comes from: MQTT, Redis record streams, files (replay), the Fleet API poller, the simulator."""
