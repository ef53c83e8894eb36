"""Demo data of joint enforcement (placeholder replaced below)."""
def load_demo(seed):
    return "joint: nothing"
