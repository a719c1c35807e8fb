def build_demo(township, stdout):
    pass
