// Run by the maven-invoker-plugin after the example's build: Caption ran and reported its speed.
def log = new File(basedir, 'build.log').text
assert log.contains('tokens/s (onnxruntime-cpu, finish ') : 'Caption printed no "tokens/s" line'
assert !log.contains('caption: ') : 'Caption failed'
return true
