"""py_noop: returns its input unchanged (the cost of serving, not of a model)."""


class Model:
    def __init__(self, config):
        self.config = config

    def infer(self, inputs):
        return {"y": inputs["x"]}
