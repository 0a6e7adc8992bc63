"""placeholder"""
def eval_references(dataset_dir):
    raise NotImplementedError
