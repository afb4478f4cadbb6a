print("iotgw")
