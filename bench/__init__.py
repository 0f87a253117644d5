"""dcmon benchmarks: each one measures dcmon and its floor in the same run (`python -m bench`)."""
