"""(being written) load/save of motion files."""
def load(path, format=None):
    raise NotImplementedError
def save(motion, path):
    raise NotImplementedError
