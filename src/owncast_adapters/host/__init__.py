"""The host machine: hardware utilisation (psutil), available encoders and ffmpeg."""
