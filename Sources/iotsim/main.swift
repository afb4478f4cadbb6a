print("iotsim")
