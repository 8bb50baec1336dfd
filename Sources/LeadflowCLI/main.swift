print("leadflow")
